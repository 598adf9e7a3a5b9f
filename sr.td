tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes
2 packets captured
4 packets received by filter
0 packets dropped by kernel
