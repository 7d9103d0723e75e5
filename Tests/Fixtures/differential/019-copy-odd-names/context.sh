mkdir -p odd/'dir with space'
echo 1 > 'odd/a file'
echo 2 > 'odd/ünïcødé-日本.txt'
echo 3 > 'odd/-leading-dash'
echo 4 > 'odd/--double'
echo 5 > "odd/quote'\"s"
echo 6 > 'odd/#hash'
echo 7 > 'odd/dir with space/ trailing '
