mkdir -p x/d
echo a > x/a
echo b > x/d/b
python3 -c 'import os; os.setxattr("x/a", "user.note", b"hello"); os.setxattr("x/d", "user.dir", b"d")'
