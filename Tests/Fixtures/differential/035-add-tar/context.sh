mkdir -p s/dir/sub
echo 1 > s/dir/one; chmod 600 s/dir/one
echo 2 > s/dir/sub/two
ln -s one s/dir/link
ln s/dir/one s/dir/hard
chown -R 1001:1002 s/dir/sub
chmod 0750 s/dir
tar -C s -cf a.tar dir
rm -rf s
