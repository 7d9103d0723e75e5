mkdir -p s
echo b > s/b
tar -C s -cjf a.tar.bz2 b
tar -C s -cJf a.tar.xz b
echo notatar | gzip -n > plain.gz
rm -rf s
