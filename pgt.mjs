import {PGlite} from '@electric-sql/pglite';
let t=Date.now();const a=await PGlite.create();console.log('first',Date.now()-t);
t=Date.now();const b=await PGlite.create();console.log('second',Date.now()-t);
await b.exec('create table x(id int primary key, v text); insert into x values (1,$$a$$)');
t=Date.now();const dump=await b.dumpDataDir('none');console.log('dump',Date.now()-t, dump.size);
t=Date.now();const c=await PGlite.create({loadDataDir:dump});console.log('load',Date.now()-t, (await c.query('select * from x')).rows);
