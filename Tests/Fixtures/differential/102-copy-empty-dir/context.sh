mkdir -p empty nested/inner
chmod 0705 empty
