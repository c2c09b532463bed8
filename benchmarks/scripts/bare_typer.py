"""A bare Typer app with two commands: the floor for `kpi --help`."""

import typer

app = typer.Typer(add_completion=True)


@app.command()
def report(kpis: str = "kpis.yaml", data: str = "") -> None:
    """Scorecard for one period."""
    typer.echo(f"{kpis} {data}")


@app.command()
def validate(kpis: str = "kpis.yaml") -> None:
    """Check the definitions."""
    typer.echo(kpis)


if __name__ == "__main__":
    app()
