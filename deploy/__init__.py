"""Running the app for an audience: several replicas behind nginx (``make serve``), the container setup."""
