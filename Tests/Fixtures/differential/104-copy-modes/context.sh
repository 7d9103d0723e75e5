mkdir -p m/ro m/priv
echo 1 > m/a; chmod 600 m/a
echo 2 > m/b; chmod 755 m/b
echo 3 > m/c; chmod 444 m/c
echo 4 > m/z; chmod 000 m/z
echo 5 > m/ro/x
chmod 555 m/ro
chmod 700 m/priv
