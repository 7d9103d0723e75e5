mkdir -p s/inner
echo x > s/x
chmod 0700 s
chown 99:99 s
tar -C s -cf a.tar .
rm -rf s
