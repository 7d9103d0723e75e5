n120=$(printf 'n%.0s' $(seq 120))
d50=$(printf 'd%.0s' $(seq 50))
mkdir -p long
echo long > "long/$n120"
p=long/$d50/$d50/$d50/$d50/$d50
mkdir -p "$p"
echo deep > "$p/$n120"
ln -s "$n120" "long/link-to-$n120"
