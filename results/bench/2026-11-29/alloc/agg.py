import sys,collections
f=sys.argv[1]; pat=sys.argv[2] if len(sys.argv)>2 else None
self=collections.Counter(); incl=collections.Counter(); tot=0
for line in open(f):
    st,n=line.rstrip().rsplit(' ',1); n=int(n)
    fr=st.split(';')
    if pat and not any(pat in x for x in fr): continue
    tot+=n
    self[fr[-1]]+=n
    for x in set(fr): incl[x]+=n
print('total',tot)
print('--- self')
for k,v in self.most_common(30): print(f"{100*v/tot:5.1f} {k}")
print('--- inclusive (dropitjvm)')
for k,v in incl.most_common(400):
    if 'dropitjvm' in k and 100*v/tot>=1.0: print(f"{100*v/tot:5.1f} {k}")
