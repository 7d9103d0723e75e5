echo target > target.txt
mkdir realdir; echo in > realdir/in.txt
ln -s target.txt lfile
ln -s realdir ldir
echo plain > lplain
