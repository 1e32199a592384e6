import sys,collections
f=sys.argv[1]; target=sys.argv[2]; depth=int(sys.argv[3]) if len(sys.argv)>3 else 2
c=collections.Counter(); tot=0
for line in open(f):
    st,n=line.rstrip().rsplit(' ',1); n=int(n); tot+=n
    fr=st.split(';')
    for i in range(len(fr)-1,-1,-1):
        if target in fr[i]:
            key=' < '.join(x.split('/')[-1] for x in fr[max(0,i-depth):i+1][::-1]) + ('  [self]' if i==len(fr)-1 else '  -> '+fr[i+1].split('/')[-1] if i+1<len(fr) else '')
            c[key]+=n; break
for k,v in c.most_common(15): print(f"{100*v/tot:5.1f} {k}")
