"""Group live codes (群活码): join ways whose groups rotate so the QR never fills up."""
