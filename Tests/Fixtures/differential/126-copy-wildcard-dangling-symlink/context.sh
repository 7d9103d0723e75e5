echo t > target
ln -s target lgood
ln -s missing ldangling
