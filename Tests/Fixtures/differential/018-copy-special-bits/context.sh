mkdir -p sp/sticky sp/sgid
echo x > sp/suid; chmod 4755 sp/suid
echo y > sp/sgidfile; chmod 2750 sp/sgidfile
chmod 1777 sp/sticky
chmod 2775 sp/sgid
echo z > sp/sticky/z
