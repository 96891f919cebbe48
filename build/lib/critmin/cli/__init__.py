"""The command-line interface (Typer + rich). It holds no domain logic: it calls the library."""
