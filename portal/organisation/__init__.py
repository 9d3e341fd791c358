"""Sub-districts, communities, compounds, buildings and each compound's three parties."""
