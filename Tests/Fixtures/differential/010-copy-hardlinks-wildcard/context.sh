echo shared > h1
ln h1 h2
