"""Closing the loop: closure feedback, return visits, deadlines, escalation and the sweep."""
