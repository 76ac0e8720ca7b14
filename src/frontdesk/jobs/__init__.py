"""Background jobs (taskiq): in-process by default, Redis broker when configured."""
