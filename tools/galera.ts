// Databases on the test Galera cluster (scripts/galera.sh): one database, created through node 1,
// reached through either node (Galera replicates the CREATE DATABASE and every write).
import { createTestDatabase, type TestDatabase } from './databases';

export interface ClusterDatabase {
	/** Node 1's handle, for seeding and reading back; it drops the database at the end. */
	database: TestDatabase;
	/** The database's URL on each node, in node order. */
	urls: string[];
}

export async function createClusterDatabase(nodeUrls: string[]): Promise<ClusterDatabase> {
	const database = await createTestDatabase('mysql', { mysqlUrl: nodeUrls[0], label: 'cluster' });
	const name = new URL(database.url).pathname;
	const urls = nodeUrls.map((nodeUrl) => {
		const url = new URL(nodeUrl);
		url.pathname = name;
		return url.toString();
	});
	return { database, urls };
}
