mkdir -p s/sticky s/real
mkfifo s/fifo
echo x > s/suid; chmod 4755 s/suid
chmod 1777 s/sticky
ln -s real s/lnk
tar -C s -cf a.tar fifo suid sticky real lnk
rm -rf s
