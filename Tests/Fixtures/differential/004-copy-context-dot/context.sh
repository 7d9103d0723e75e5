chmod 0700 d1/d2
chmod 0600 x
