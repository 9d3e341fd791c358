"""The administrators' pages: the organisation, people and their roles."""
