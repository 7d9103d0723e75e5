mkdir -p s/d
echo 1 > s/d/one
chown -R 77:88 s/d
tar -C s -cf a.tar d
rm -rf s
