"""Open311 GeoReport v2 (docs/open311.md): city systems file cases and follow them by API key."""
