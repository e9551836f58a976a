"""Identity resolution: which identifiers (external_userid, unionid, openids, phones, business
ids) belong to which person, the rules that merge persons, merge history with undo, conflicts.

The person is the `customers` row (decision 0005); this package owns `customer_identities`,
`identity_rules`, `identity_merges` and `identity_conflicts`.
"""
