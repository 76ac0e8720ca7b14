"""The website widget: the script, its configuration endpoint, CORS for browsers, the demo page."""
