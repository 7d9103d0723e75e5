echo target > target.txt
ln -s target.txt link
mkdir realdir; echo in > realdir/in.txt
ln -s realdir dirlink
