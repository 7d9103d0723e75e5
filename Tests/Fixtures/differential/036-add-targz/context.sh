mkdir -p s/p
echo 1 > s/p/one
tar -C s -czf a.tar.gz p
rm -rf s
