"""Three-party consultations: convene, hear each party, resolve with action items, sign, publish."""
