/*
 * The peer model (/work/shared/peer-truncate-race.md) in Promela, for SPIN, step for step as
 * bench/peer/fault.ts and bench/peer/ftruncate.ts run it: each numbered step of the spec is one
 * d_step, so SPIN stores exactly the spec's states, and counts what mmcheck counts. The state
 * holds the spec's variables and nothing else: the scratch variables are hidden, and every
 * thread's pc, index and locals are globals as in mmcheck's state. The state invariants are
 * asserted at the end of every step: SPIN checks them on every transition's target, mmcheck on
 * each new state, which is the same set of states. Every thread waits at its loop's end label,
 * a finished one as one blocked on a mutex, so SPIN's invalid-end-state check cannot see a
 * deadlock: mmcheck's deadlock check has no counterpart here (the model has no deadlock).
 *
 * spin -DN=8 -a peer.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -w24
 */
#ifndef N
#define N 2
#endif
#define S (N / 2)

/* struct hstate, and the inode of F (region: reserved or was; consumed: the reservation used). */
byte fr = N;
byte resv = N;
byte isize = N;
byte cache[N];
bit region[N] = 1;
bit consumed[N];
bit mutex[N];
/* The ptes of processes A (pte[x]) and B (pte[N + x]), and the pages' refcounts and mapcounts (page ids 1..N; 0 is none). */
#define A 0
#define B N
byte pte[2 * N];
byte ref[N + 1];
byte mapc[N + 1];
/* T1 faults A at 0, 1, ..., N-1; T2 faults B at N-1, ..., 0; pc 1..6 is the fault's step, k the faults done. */
byte pc1 = 1;
byte k1;
byte hold1;
byte pc2 = 1;
byte k2;
byte hold2;
/* T3 truncates to S: pc 1..7 is its step, 0 once done. */
byte pc3 = 1;
byte j3;
byte freed3;

hidden byte g;
hidden byte i;
hidden byte n;

inline invariants() {
	assert(resv <= fr && fr <= N);
	n = 0;
	i = 0;
	do
	:: i < N -> if :: region[i] && !consumed[i] -> n++ :: else -> skip fi; i++
	:: else -> break
	od;
	assert(resv == n);
	g = 1;
	do
	:: g <= N ->
		n = mapc[g] + (hold1 == g) + (hold2 == g);
		i = 0;
		do
		:: i < N -> n = n + (cache[i] == g); i++
		:: else -> break
		od;
		assert(ref[g] == n);
		g++
	:: else -> break
	od;
	if
	:: k1 == N && k2 == N && pc3 == 0 ->
		n = 0;
		i = 0;
		do
		:: i < N -> assert(i < isize || (pte[A + i] == 0 && pte[B + i] == 0)); n = n + (cache[i] != 0); i++
		:: else -> break
		od;
		assert(fr + n == N)
	:: else -> skip
	fi;
	g = 0;
	i = 0;
	n = 0
}

/* dequeue_hugetlb_folio: the lowest-numbered page with no reference. */
inline dequeue(hold) {
	g = 1;
	do
	:: g < N && ref[g] != 0 -> g++
	:: else -> break
	od;
	assert(ref[g] == 0);
	ref[g] = 1;
	hold = g
}

/* fault(p, x) of thread k/pc/hold: the spec's steps 1-6; a fault that ends moves to the next index (k++). */
inline fault(pc, k, x, p, hold) {
	end: do
	:: d_step { pc == 1 && k < N && mutex[x] == 0 -> mutex[x] = 1; pc = 2; invariants() }
	:: d_step { pc == 2 ->
		if
		:: x >= isize -> mutex[x] = 0; k++; pc = 1
		:: else ->
			if
			:: cache[x] != 0 -> ref[cache[x]]++; hold = cache[x]; pc = 5
			:: else -> pc = 3
			fi
		fi;
		invariants() }
	:: d_step { pc == 3 ->
		if
		:: region[x] && !consumed[x] -> fr--; resv--; consumed[x] = 1; dequeue(hold); pc = 4
		:: else ->
			if
			:: fr > resv -> fr--; dequeue(hold); pc = 4
			:: else -> mutex[x] = 0; k++; pc = 1
			fi
		fi;
		invariants() }
	:: d_step { pc == 4 -> cache[x] = hold; region[x] = 1; ref[hold]++; pc = 5; invariants() }
	:: d_step { pc == 5 ->
		if
		:: pte[p + x] == 0 -> pte[p + x] = hold; mapc[hold]++
		:: else -> ref[hold]--
		fi;
		hold = 0; pc = 6; invariants() }
	:: d_step { pc == 6 -> mutex[x] = 0; k++; pc = 1; invariants() }
	od
}

active proctype T1() { fault(pc1, k1, k1, A, hold1) }
active proctype T2() { fault(pc2, k2, N - 1 - k2, B, hold2) }

/* __unmap_hugepage_range of index x in process p's ptes. */
inline unmap(p, x) {
	g = pte[p + x];
	if
	:: g != 0 -> pte[p + x] = 0; mapc[g]--; ref[g]--
	:: else -> skip
	fi
}

/* ftruncate(F, S): the spec's steps 1, 2A, 2B, then 3a-3c for each j = S ... N-1, then 4. */
active proctype T3() {
	end: do
	:: d_step { pc3 == 1 -> isize = S; pc3 = 2; invariants() }
	:: d_step { pc3 == 2 -> i = S; do :: i < N -> unmap(A, i); i++ :: else -> break od; pc3 = 3; invariants() }
	:: d_step { pc3 == 3 -> i = S; do :: i < N -> unmap(B, i); i++ :: else -> break od; j3 = S; pc3 = 4; invariants() }
	:: d_step { pc3 == 4 && mutex[j3] == 0 -> mutex[j3] = 1; pc3 = 5; invariants() }
	:: d_step { pc3 == 5 ->
		unmap(A, j3);
		unmap(B, j3);
		g = cache[j3];
		if
		:: g != 0 ->
			cache[j3] = 0;
			ref[g]--;
			if
			:: ref[g] == 0 -> fr++; freed3++
			:: else -> skip
			fi
		:: else -> skip
		fi;
		pc3 = 6;
		invariants() }
	:: d_step { pc3 == 6 -> mutex[j3] = 0; j3++; if :: j3 < N -> pc3 = 4 :: else -> pc3 = 7 fi; invariants() }
	:: d_step { pc3 == 7 ->
		n = 0;
		i = S;
		do
		:: i < N -> if :: region[i] -> n++; region[i] = 0 :: else -> skip fi; i++
		:: else -> break
		od;
		resv = resv - (n - freed3);
		freed3 = 0; j3 = 0; pc3 = 0; invariants() }
	od
}
