mkdir -p s
mknod s/null c 1 3
mknod s/loop b 7 0
tar -C s -cf a.tar null loop
rm -rf s
