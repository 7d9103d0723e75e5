mkdir -p owned/d
echo x > owned/x
echo y > owned/d/y
chown 1000:1000 owned/x
chown -R 4321:8765 owned/d
