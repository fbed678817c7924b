from scenmatrix.cli import main

main()
