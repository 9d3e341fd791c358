"""Personal data (PIPL): a person's own copy, deleting an account, keeping cases for the record."""
