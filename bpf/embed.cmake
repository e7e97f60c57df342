# Writes a C file holding the bytes of a BPF object, so built-in functions
# travel inside the binary (the libbpf skeleton habit) and nothing is looked
# up on disk at run time.  -DIN=obj -DOUT=file.c -DSYM=name
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE ${OUT} "const unsigned char ${SYM}[] = {${body}};\nconst unsigned long ${SYM}_len = ${len};\n")
