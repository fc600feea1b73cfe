from cdisc.cli import console

console()
