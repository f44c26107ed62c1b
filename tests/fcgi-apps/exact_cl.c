/* Placeholder until the test app lands. */
int main(void);

int
main(void)
{
	return 1;
}
