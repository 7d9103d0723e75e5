mkdir -p s/d
echo new > s/d/f
echo added > s/added
chmod 755 s/d
tar -C s -cf a.tar d added
rm -rf s
