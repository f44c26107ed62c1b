/* Placeholder until the benchmark lands. */
int main(void);

int
main(void)
{
	return 0;
}
