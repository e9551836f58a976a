"""The store-opening scenario: three channels, twenty staff, thousands of customers in an hour."""
