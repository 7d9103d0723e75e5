mkdir -p tree/sub
echo data > tree/file
ln -s file tree/rel
ln -s /etc/passwd tree/abs
ln -s nowhere tree/dangling
ln -s sub tree/subl
ln -s ../file tree/sub/up
