from critmin.cli.main import app

app(prog_name="critmin")
