mkdir -p src/empty
chmod 0750 src/sub
