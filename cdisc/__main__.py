from cdisc.cli import main

main()
