from kapm.cli import main

main()
