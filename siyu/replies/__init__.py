"""Scripts library (话术库): grouped quick replies with variables, for the chat sidebar."""
