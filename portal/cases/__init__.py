"""Cases: filing, the workflow, triage, assignment, work, the case page, QR posters."""
