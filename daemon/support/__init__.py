"""Installing the service and making the support bundle."""
